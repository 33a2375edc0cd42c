"""The migration to per-project roles, run on a database in the shape the site had before it.

The database is built at the migration before it, as the site stored things then (role groups, memberships,
shots with variants, edits, decisions, notes, fixes, renders, jobs), then migrated: every membership has
the role its user's group gave, the most powerful one for people in several groups, and every row of every
table is as it was (the memberships gained their role, nothing else changed).
"""
from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

# Found by name so the test follows the migration when it is renumbered.
MIGRATION_SUFFIX = "_membership_role"


def _migration_and_parent(executor: MigrationExecutor, suffix: str = MIGRATION_SUFFIX
                          ) -> tuple[tuple[str, str], tuple[str, str]]:
    graph = executor.loader.graph
    target = next(key for key in graph.nodes if key[0] == "review" and key[1].endswith(suffix))
    parent = next(p.key for p in graph.node_map[target].parents if p.key[0] == "review")
    return target, parent


def _migrate(executor: MigrationExecutor, targets: list[tuple[str, str]]) -> Any:
    """Migrate to `targets` and return the models of every app as they are there."""
    executor.loader.build_graph()
    executor.migrate(targets)
    executor.loader.build_graph()
    apps_at = {app for app, _ in targets}
    others = [leaf for leaf in executor.loader.graph.leaf_nodes() if leaf[0] not in apps_at]
    return executor.loader.project_state(targets + others).apps


def _everything() -> dict[str, list[dict[str, Any]]]:
    """Every row of every table but the migration ledger, as column -> value, in primary-key order."""
    tables = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            if table == "django_migrations":
                continue
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)} ORDER BY 1")
            columns = [c[0] for c in cursor.description]
            tables[table] = [dict(zip(columns, row)) for row in cursor.fetchall()]
    return tables


def _fill_before(apps: Any) -> dict[str, Any]:
    """Two projects and the people on them as the site stored them before: roles as groups."""
    Group = apps.get_model("auth", "Group")
    User = apps.get_model("auth", "User")
    m = {name: apps.get_model("review", name) for name in (
        "Project", "Membership", "Sequence", "Shot", "Variant", "Edit", "Decision", "Note", "FrameFix", "Render",
        "Job", "Activity")}
    groups = {name: Group.objects.get_or_create(name=name)[0] for name in ("supervisor", "artist", "producer",
                                                                            "pipeline")}
    dance = m["Project"].objects.create(code="dance", name="Dance")
    promo = m["Project"].objects.create(code="promo", name="Promo")
    people = {}
    for name, in_groups, projects in [
        ("sam", ["supervisor"], [dance, promo]),
        ("ann", ["artist"], [dance, promo]),
        ("pat", ["pipeline", "producer"], [dance]),     # several groups: the most powerful, producer
        ("max", ["artist", "supervisor", "pipeline"], [promo]),  # supervisor
        ("nobody", [], [dance]),                        # a member with no role group
        ("loner", ["supervisor"], []),                  # a role group and no project
    ]:
        user = User.objects.create(username=name, password="pbkdf2_sha256$1$salt$hash")
        user.groups.add(*(groups[g] for g in in_groups))
        for project in projects:
            m["Membership"].objects.create(project=project, user=user)
        people[name] = user
    shot = m["Shot"].objects.create(sequence=m["Sequence"].objects.create(project=dance, code="SQ010"),
                                    code="SH010", frame_start=1001, frame_end=1012, status="approved")
    variant = m["Variant"].objects.create(shot=shot, kind="rigid", label="rigid", clip="shots/1/variants/a.mp4",
                                          clip_frames=12, qc=[{"frame": 1001, "coverage": 1.0}],
                                          published_by=people["pat"])
    edit = m["Edit"].objects.create(shot=shot, version=1, author=people["sam"], segments=[
        {"variant": variant.id, "frame_start": 1001, "frame_end": 1012, "transition": 0}])
    m["Decision"].objects.create(edit=edit, verdict="approve", comment="ship it", author=people["sam"])
    note = m["Note"].objects.create(shot=shot, variant=variant, frame_start=1003, frame_end=1005, text="eyes drift",
                                    drawing={"strokes": [{"points": [[0.1, 0.2], [0.3, 0.4]]}]},
                                    author=people["sam"])
    m["Note"].objects.create(shot=shot, parent=note, frame_start=1003, frame_end=1005, text="on it",
                             author=people["ann"])
    m["FrameFix"].objects.create(shot=shot, frame_start=1004, frame_end=1004, author=people["ann"])
    render = m["Render"].objects.create(shot=shot, edit=edit, state="queued", requested_by=people["sam"])
    m["Job"].objects.create(shot=shot, kind="render", queue="cpu", render=render, params={"edit": edit.id})
    m["Activity"].objects.create(project=dance, shot=shot, actor=people["sam"], verb="decided", summary="approved")
    return {"dance": dance.id, "promo": promo.id}


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_group_roles_become_the_roles_of_each_membership_and_nothing_is_lost():
    executor = MigrationExecutor(connection)
    target, parent = _migration_and_parent(executor)
    latest = executor.loader.graph.leaf_nodes()
    try:
        projects = _fill_before(_migrate(executor, [parent]))
        before = _everything()
        apps = _migrate(executor, [target])
        after = _everything()

        roles = {(ms.user.username, ms.project_id): ms.role
                 for ms in apps.get_model("review", "Membership").objects.select_related("user")}
        dance, promo = projects["dance"], projects["promo"]
        assert roles == {("sam", dance): "supervisor", ("sam", promo): "supervisor",
                         ("ann", dance): "artist", ("ann", promo): "artist",
                         ("pat", dance): "producer", ("max", promo): "supervisor",
                         ("nobody", dance): ""}

        assert set(after) == set(before)
        for table, rows in before.items():
            kept = [{column: row[column] for column in rows[0]} for row in after[table]] if rows else after[table]
            assert kept == rows, f"{table} changed"
        assert [set(row) - set(before["review_membership"][0]) for row in after["review_membership"]] \
            == [{"role"}] * len(before["review_membership"])
        assert len(before["auth_user_groups"]) == 8  # the groups and who is in them are kept

        # back again: each member is in the group of each role they hold, as the code before reads roles
        apps = _migrate(executor, [parent])
        User = apps.get_model("auth", "User")
        assert set(User.objects.get(username="sam").groups.values_list("name", flat=True)) == {"supervisor"}
        assert set(User.objects.get(username="pat").groups.values_list("name", flat=True)) == {"pipeline", "producer"}
    finally:
        _migrate(executor, latest)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_existing_variants_become_v001_and_decisions_stay_whole_edit_ones():
    """Before versions a label was unique per shot: every variant becomes v001 of its label, each decision a
    decision on the whole edit (no range, not unlocked), and nothing else changes; back again works while
    only v001s exist, and refuses (deleting nothing) once a v002 does."""
    executor = MigrationExecutor(connection)
    target, parent = _migration_and_parent(executor, "_variant_versions_range_approvals")
    latest = executor.loader.graph.leaf_nodes()
    try:
        _fill_before(_migrate(executor, [parent]))
        before = _everything()
        apps = _migrate(executor, [target])
        after = _everything()
        assert [row["version"] for row in after["review_variant"]] == [1]
        assert [(row["frame_start"], row["frame_end"], row["unlocked_at"]) for row in after["review_decision"]] \
            == [(None, None, None)]
        for table, rows in before.items():
            kept = [{column: row[column] for column in rows[0]} for row in after[table]] if rows else after[table]
            assert kept == rows, f"{table} changed"

        Variant = apps.get_model("review", "Variant")
        first = Variant.objects.get()
        Variant.objects.create(shot_id=first.shot_id, kind="rigid", label=first.label, version=2,
                               clip="shots/1/variants/b.mp4")
        with pytest.raises(RuntimeError, match="1 variant version"):
            _migrate(executor, [parent])
        Variant.objects.filter(version=2).delete()
        _migrate(executor, [parent])
        assert _everything()["review_variant"] == before["review_variant"]
    finally:
        _migrate(executor, latest)
