"""`field__any=[…]`: membership of a long list as one parameter.

`pk__in=ids` binds one placeholder per id, and the ORM prepares each through the field on the
way: with 10,000 ids, a third of a second of Python per query before PostgreSQL sees it.
`pk__any=ids` sends the list as one array (`= ANY(%s)`, which is how PostgreSQL plans a long
IN list anyway), adapted by the driver in C. Other databases get the ordinary IN.

Pass a set (or any iterable but a list or tuple): the ORM walks a list or tuple value by value,
looking for expressions in it, before the lookup is made.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Field, ForeignObject, Lookup
from django.db.models.lookups import In


class AnyOf(Lookup):
    lookup_name = "any"
    prepare_rhs = False

    def get_prep_lookup(self) -> list[Any]:
        # Ids, as the callers pass them: no per-value field preparation (that is the point).
        return list(self.rhs)

    # The params as the database adapter takes them: one is an array (a list), which the stubs'
    # tuple[str | int, ...] leaves out.
    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, Any]:
        if connection.vendor != "postgresql":
            return In(self.lhs, self.rhs).as_sql(compiler, connection)
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", [*lhs_params, self.rhs]


Field.register_lookup(AnyOf)
# Relations keep their own lookups (they stop at ForeignObject rather than inherit Field's).
ForeignObject.register_lookup(AnyOf)
