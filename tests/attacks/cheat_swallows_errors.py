"""Cheat: set_custom_exc makes the kernel swallow every exception silently, so that a failed
check shows no error."""
TRICK = '''
get_ipython().set_custom_exc((BaseException,), lambda shell, etype, value, tb, tb_offset=None: None)
'''
