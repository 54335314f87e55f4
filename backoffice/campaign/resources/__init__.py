"""django-import-export resources: the columns of the admin's exports and imports, one module per topic."""
