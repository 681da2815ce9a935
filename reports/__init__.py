"""PDF documents built with reportlab (no Qt): shortage forms, assessment
reports, agreement progress, payment standards. `reports.fonts` registers the
embedded CJK font every document uses."""
