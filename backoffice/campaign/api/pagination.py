from rest_framework.pagination import PageNumberPagination


class PublicPagination(PageNumberPagination):
    """``?page=`` and ``?page_size=`` (100 by default, at most 1,000) on every list."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000

    @classmethod
    def canonical(cls, name: str, value: str) -> str | None:
        """``value`` of ``page`` or ``page_size`` as the one spelling of the page it selects.

        Read as the paginator reads it (``int()``, so ``" 2"`` and ``"02"`` are 2; sizes above the
        maximum are the maximum). None for a page size the list ignores; a page that is not a
        number is kept as given (the list answers ``last``, or 404, which is never cached).
        """
        try:
            number = int(value)
        except ValueError:
            return value if name == cls.page_query_param else None
        if name == cls.page_query_param:
            return str(number)
        return str(min(number, cls.max_page_size)) if number > 0 else None


PAGINATION_PARAMS = frozenset({PublicPagination.page_query_param, PublicPagination.page_size_query_param})
