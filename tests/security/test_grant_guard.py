"""A guard: every API route whose request can name a role to hand out, or a person to bind, goes through
the one grant rule (directory/grants.py). A new route that forgets it fails here, not in production."""

from __future__ import annotations

import inspect
import typing

from fastapi.routing import APIRoute
from pydantic import BaseModel

from api.v1 import build_v1_router
from directory import grants, invitations
from directory.models import Role

# Calls that apply the rule: the rule itself, and the services that call it first thing.
GATES = ("grants.require_grant", "require_grant_right", "invitations.create_invitation",
         "invitations.create_bulk_invitations")  # fmt: skip
BINDING_FIELDS = {"person_id"}


def _grants_power(model: type[BaseModel]) -> list[str]:
    found = []
    for name, field in model.model_fields.items():
        args = typing.get_args(field.annotation) or (field.annotation,)
        if field.annotation is Role or Role in args or name in BINDING_FIELDS:
            found.append(name)
    return found


def _body_models(route: APIRoute) -> list[type[BaseModel]]:
    models = []
    for param in route.dependant.body_params:
        annotation = param.field_info.annotation
        for candidate in typing.get_args(annotation) or (annotation,):
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                models.append(candidate)
    return models


def _api_routes(routes: typing.Iterable[object]) -> typing.Iterator[APIRoute]:
    """Every APIRoute, also inside included routers (which recent FastAPI keeps as lazy branches)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _api_routes(inner.routes)


def test_every_route_that_names_a_role_or_a_person_to_bind_applies_the_rule() -> None:
    checked, missing = [], []
    for route in _api_routes(build_v1_router().routes):
        for model in _body_models(route):
            fields = _grants_power(model)
            if not fields:
                continue
            checked.append(route.path)
            source = inspect.getsource(route.endpoint)
            if not any(gate in source for gate in GATES):
                methods = sorted(route.methods or ())
                missing.append(f"{methods} {route.path} ({model.__name__}.{', '.join(fields)})")
    assert not missing, "routes granting a role or binding a person without directory.grants: " + "; ".join(
        missing
    )
    # the guard sees the routes it is meant to see
    assert {"/invitations", "/invitations/bulk", "/people", "/people/{person_id}/roles", "/api-keys"} <= set(
        checked
    )


def test_the_services_named_as_gates_apply_the_rule_themselves() -> None:
    for service in (invitations.create_invitation, invitations.create_bulk_invitations):
        assert "grants.require_grant(" in inspect.getsource(service)
    assert "_require_bindable" in inspect.getsource(invitations.create_invitation)
    assert grants.GRANTED_BY[Role.officer] is Role.admin
