"""The Qt user interface. The only package that imports PySide6.

Screens call the domain layer (`pharmacy_app`, `db`, `reports`) through the
database worker (`ui.worker`), never directly from the main thread.
"""
