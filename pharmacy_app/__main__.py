from pharmacy_app.cli import main

raise SystemExit(main())
