"""The "needs action" page a producer chases from: per person and due week, why each shot is there, column
headings that sort (and sort back) without losing the filters, filters kept in the URL, a wrong one named."""
from __future__ import annotations

import re
from datetime import date, timedelta

from review.choices import ShotStatus
from tests.review.factories import NoteFactory, ShotFactory


def make_chase(world):
    today = date.today()
    soon = ShotFactory(sequence=world.sequence, code="SH020", status=ShotStatus.IN_REVIEW, due_date=today)
    NoteFactory(shot=soon)
    soon.assignees.add(world.users["artist"])
    later = ShotFactory(sequence=world.sequence, code="SH030", status=ShotStatus.CHANGES_REQUESTED,
                        due_date=today + timedelta(days=14))
    later.assignees.add(world.users["artist"])
    return soon, later


def test_the_page_lists_each_persons_shots_per_week_with_the_reason(client, world):
    soon, later = make_chase(world)
    client.force_login(world.users["producer"])
    html = client.get("/actions/").content.decode()
    assert 'data-person="artist1"' in html
    assert html.count('<h3 class="week">week of') == 2
    assert html.index("dance/SQ010/SH020") < html.index("dance/SQ010/SH030")  # by due date
    assert "notes open" in html and "changes requested" in html
    assert "dance/SQ010/SH010" not in html  # nothing to do there
    assert 'href="/actions/">Needs action</a>' in client.get("/").content.decode()  # reached from the board


def test_sorting_keeps_the_filters_and_a_second_click_reverses(client, world):
    make_chase(world)
    client.force_login(world.users["producer"])
    html = client.get("/actions/?assignee=artist1&needs=changes&sort=shot").content.decode()
    assert "dance/SQ010/SH030" in html and "dance/SQ010/SH020" not in html  # only changes requested
    links = {name: query for query, name in re.findall(r'<a href="\?([^"]+)">(Shot|Due)</a>', html)}
    assert links["Shot"] == "assignee=artist1&amp;needs=changes&amp;sort=-shot"  # the same sort again: reversed
    assert links["Due"] == "assignee=artist1&amp;needs=changes&amp;sort=due"
    assert 'name="assignee" value="artist1"' in html and '<option value="changes" selected>' in html


def test_a_filter_that_means_nothing_is_a_400_naming_it_over_the_whole_list(client, world):
    make_chase(world)
    client.force_login(world.users["producer"])
    answer = client.get("/actions/?sort=colour")
    assert answer.status_code == 400
    html = answer.content.decode()
    assert "sort &#x27;colour&#x27; is not one of due, shot, status, notes, fixes" in html
    assert "dance/SQ010/SH020" in html


def test_an_outsider_sees_nothing_of_the_project(client, world):
    make_chase(world)
    client.force_login(world.outsider)
    html = client.get("/actions/").content.decode()
    assert "SH020" not in html and "Nothing needs action" in html
