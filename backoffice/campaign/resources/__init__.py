"""django-import-export resources: how campaign data looks in staff spreadsheets, one module per topic."""
