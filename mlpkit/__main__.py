from mlpkit.cli import main

raise SystemExit(main())
