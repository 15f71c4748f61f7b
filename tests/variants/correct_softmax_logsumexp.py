"""Correct: softmax as exp(x - logsumexp(x)), with the log-sum-exp itself shifted by the max."""
CELL = "task0_stable_softmax_solution"
FAILS = []
KNOCK_ON = []
SOURCE = '''
def stable_softmax(x, axis=-1):
    m = np.max(x, axis=axis, keepdims=True)
    logsumexp = m + np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))
    return np.exp(x - logsumexp)
'''
