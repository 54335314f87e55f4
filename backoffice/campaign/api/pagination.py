from rest_framework.pagination import PageNumberPagination


class PublicPagination(PageNumberPagination):
    """``?page=`` and ``?page_size=`` (100 by default, at most 1,000) on every list."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
