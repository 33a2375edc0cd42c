"""The server-rendered pages: login, the producer's board and its CSV, the shot page, media with ranges."""
from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, timedelta

import pytest

from review.choices import JobKind, JobState, ShotStatus
from review.models import Job
from review.services.variants import variant_publish
from tests.review.factories import NoteFactory, SequenceFactory, ShotFactory, VariantFactory
from tests.review.media import uploaded


@pytest.fixture
def board_world(world):
    late = ShotFactory(sequence=world.sequence, code="SH020", status=ShotStatus.IN_REVIEW,
                       due_date=date.today() - timedelta(days=3))
    late.assignees.add(world.users["artist"])
    ShotFactory(sequence=world.sequence, code="SH030", status=ShotStatus.FINAL, due_date=date.today() - timedelta(days=3))
    other_seq = SequenceFactory(project=world.project, code="SQ020")
    ShotFactory(sequence=other_seq, code="SH040", status=ShotStatus.IN_REVIEW)
    return world


def test_login_page_and_redirect(client, world):
    assert client.get("/").status_code == 302
    page = client.get("/login/")
    assert page.status_code == 200 and b'name="password"' in page.content
    response = client.post("/login/", {"username": "producer1", "password": "pw-for-tests"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_board_shows_colours_counts_and_overdue(client, board_world):
    client.force_login(board_world.users["producer"])
    html = client.get("/").content.decode()
    assert html.count('class="status"') == 4
    assert ShotStatus.IN_REVIEW.colour in html and ShotStatus.FINAL.colour in html
    assert 'data-status="in_review">\n    <strong>2</strong>' in html
    assert "dance/SQ010" in html and "dance/SQ020" in html
    assert html.count("is-overdue") == 1  # the final shot is late but done
    assert 'id="board-root" data-ws="/ws/board/"' in html


def test_board_shows_each_shots_newest_active_job_with_its_progress(client, board_world):
    shot = board_world.shot
    Job.objects.create(shot=shot, kind=JobKind.ENGINE, queue="gpu", state=JobState.DONE, progress=1.0)
    Job.objects.create(shot=shot, kind=JobKind.CONVERT, queue="gpu", state=JobState.RUNNING, progress=0.375,
                       params={"name": "pirouette", "variant": "rigid"})
    client.force_login(board_world.users["producer"])
    html = client.get("/").content.decode()
    row = html.split(f'<tr id="shot-{shot.id}"')[1].split("</tr>")[0]
    assert '<progress max="1" value="0.375"></progress> <small>Conversion 37%</small>' in row
    assert html.count("<progress") == 1  # the done engine run and the other shots show none


def test_board_filters_and_csv(client, board_world):
    client.force_login(board_world.users["producer"])
    html = client.get("/?status=in_review&sequence=SQ010").content.decode()
    assert "SH020" in html and "SH040" not in html and "SH030" not in html
    assert "SH020" in client.get("/?assignee=artist1").content.decode()
    assert "SH040" not in client.get("/?overdue=1").content.decode()
    response = client.get("/board.csv?status=in_review")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert response["Content-Type"].startswith("text/csv")
    assert rows[0][:4] == ["project", "sequence", "shot", "status"]
    assert sorted(r[2] for r in rows[1:]) == ["SH020", "SH040"]
    late = next(r for r in rows if r[2] == "SH020")
    assert late[3] == "In review" and late[8] == "yes" and late[9] == "artist1"


def test_board_hides_other_projects(client, board_world):
    client.force_login(board_world.outsider)
    assert "SH020" not in client.get("/").content.decode()


def test_shot_page_has_player_data_and_forms(client, world):
    VariantFactory(shot=world.shot, label="rigid")
    NoteFactory(shot=world.shot, text="chin wobble", author=world.users["artist"])
    client.force_login(world.users["supervisor"])
    html = client.get(f"/shots/{world.shot.id}/").content.decode()
    data = json.loads(html.split('<script id="shot-data" type="application/json">')[1].split("</script>")[0])
    assert (data["frame_start"], data["frame_end"], data["fps_num"], data["fps_den"]) == (1001, 1012, 24, 1)
    assert data["variants"][0]["label"] == "rigid" and data["notes"][0]["text"] == "chin wobble"
    assert data["user"] == {"username": "supervisor1", "role": "supervisor"} and data["api"] == "/api/"
    assert "chin wobble" in html and 'action="/shots/%d/notes"' % world.shot.id in html
    assert f'data-ws="/ws/shots/{world.shot.id}/jobs/"' in html  # where the jobs table listens
    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert [s.rsplit("/", 1)[-1] for s in scripts] == ["player.js"]  # one bundle runs the whole page


def test_shot_page_shows_each_variants_display_and_view(client, world):
    colour = {"config": "ocio://default", "config_name": "cg-config", "colour_space": "Linear Rec.709 (sRGB)",
              "display": "sRGB - Display", "view": "Un-tone-mapped"}
    VariantFactory(shot=world.shot, label="rigid", filmstrip_layout={"colour": colour})
    VariantFactory(shot=world.shot, label="uploaded", filmstrip_layout={"colour": None})
    client.force_login(world.users["supervisor"])
    html = client.get(f"/shots/{world.shot.id}/").content.decode()
    data = json.loads(html.split('<script id="shot-data" type="application/json">')[1].split("</script>")[0])
    assert [v["filmstrip_layout"]["colour"] for v in data["variants"]] == [colour, None]  # what the player shows
    assert "sRGB - Display / Un-tone-mapped" in html and "as encoded" in html


def test_unknown_shot_page_is_404(client, world):
    client.force_login(world.users["supervisor"])
    assert client.get("/shots/424242/").status_code == 404


def test_shot_page_forms_call_the_services_and_report_refusals(client, world):
    client.force_login(world.users["artist"])
    url = f"/shots/{world.shot.id}/"
    client.post(f"/shots/{world.shot.id}/notes", {"frame_start": "1003", "text": "from the page"})
    assert "from the page" in client.get(url).content.decode()
    response = client.post(f"/shots/{world.shot.id}/status", {"status": "on_hold"}, follow=True)
    assert "only a producer or supervisor may" in response.content.decode()


def test_media_is_served_with_ranges(client, world, clips):
    variant, _ = variant_publish(shot=world.shot, actor=world.users["pipeline"], kind="rigid", label="r",
                                 clip=uploaded(clips["good"]))
    url = variant.clip.url
    size = clips["good"].stat().st_size
    client.force_login(world.users["artist"])
    whole = client.get(url)
    assert whole.status_code == 200 and whole["Accept-Ranges"] == "bytes"
    assert b"".join(whole.streaming_content) == clips["good"].read_bytes()
    part = client.get(url, HTTP_RANGE="bytes=100-199")
    assert part.status_code == 206 and part["Content-Range"] == f"bytes 100-199/{size}"
    assert b"".join(part.streaming_content) == clips["good"].read_bytes()[100:200]
    tail = client.get(url, HTTP_RANGE="bytes=-10")
    assert tail.status_code == 206 and b"".join(tail.streaming_content) == clips["good"].read_bytes()[-10:]
    assert client.get(url, HTTP_RANGE=f"bytes={size + 5}-").status_code == 416
    assert client.get("/media/../../etc/passwd").status_code == 404
    assert client.get("/media/shots/%2e%2e/%2e%2e/%2e%2e/secret_key").status_code == 404
    client.force_login(world.outsider)
    assert client.get(url).status_code == 404  # another project's media is invisible
    client.logout()
    assert client.get(url).status_code == 302


def test_page_forms_need_csrf(world):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.users["producer"])
    response = browser.post(f"/shots/{world.shot.id}/status", {"status": "on_hold"})
    assert response.status_code == 403
    world.shot.refresh_from_db()
    assert world.shot.status == ShotStatus.WAITING


def test_board_counts_each_sequences_shots_per_status(client, board_world):
    client.force_login(board_world.users["producer"])
    html = client.get("/").content.decode()
    rows = {m.group(1): [int(n) for n in re.findall(r'<td class="tally[^"]*">(\d+)</td>', m.group(2))]
            for m in re.finditer(r"<tr><td>([^<]+)</td><td>\d+</td>(.*?)</tr>", html)}
    statuses = list(ShotStatus.values)
    sq010 = dict(zip(statuses, rows["dance/SQ010"]))
    assert sq010[board_world.shot.status] >= 1
    assert sq010[ShotStatus.IN_REVIEW] == 1 + (board_world.shot.status == ShotStatus.IN_REVIEW)
    assert sq010[ShotStatus.FINAL] == 1 and sum(sq010.values()) == 3
    assert dict(zip(statuses, rows["dance/SQ020"]))[ShotStatus.IN_REVIEW] == 1


def test_shot_page_shows_each_variants_scores_by_head_angle(client, world):
    row = {"frames": 12, "share": 1.0, "psnr_db": 31.25, "ssim": 0.912, "identity_margin": 0.4, "adherence_actor": 0.9}
    table = {"bins": [{"bin": "frontal", **row}, {"bin": "back", **row, "psnr_db": 27.5, "share": 0.5}],
             "all": {**row, "psnr_db": 29.0}}
    VariantFactory(shot=world.shot, label="rigid", metrics={"eval": table})
    VariantFactory(shot=world.shot, label="loose")
    client.force_login(world.users["producer"])
    html = client.get(f"/shots/{world.shot.id}/").content.decode()
    scores = html.split("Scores by head angle")[1].split("</table>")[0]
    assert scores.count("<tr") == 1 + 3  # the header, then rigid's two bins and its total; loose has no scores
    assert "<td>back</td>" in scores and "27.5" in scores and "50%" in scores and "29.0" in scores
    assert "loose" not in scores and "(no truth)" not in scores and "<td>rigid v001</td>" in scores


def test_a_real_shots_scores_say_they_were_made_without_truth(client, world):
    row = {"frames": 12, "share": 0.75, "psnr_db": None, "ssim": None, "identity_margin": 0.21,
           "adherence_actor": 0.6}
    VariantFactory(shot=world.shot, label="rigid", metrics={"eval": {"mode": "truth_free", "bins": [
        {"bin": "frontal", **row}], "all": row}})
    client.force_login(world.users["producer"])
    scores = client.get(f"/shots/{world.shot.id}/").content.decode().split("Scores by head angle")[1]
    scores = scores.split("</table>")[0]
    assert "all (no truth)" in scores and "0.21" in scores and "75%" in scores and "—" in scores


def test_a_real_shots_scores_show_the_plates_own_margin_and_mark_a_swap_that_does_not_clear_it(client, world):
    row = {"frames": 12, "share": 1.0, "psnr_db": None, "ssim": None, "adherence_actor": 0.6}
    bins = [{"bin": "frontal", **row, "identity_margin": 0.21, "identity_margin_plate": -0.58, "recognised": 0.875},
            {"bin": "profile", **row, "identity_margin": -0.40, "identity_margin_plate": -0.30, "recognised": 0.25},
            {"bin": "back", **row, "identity_margin": None, "identity_margin_plate": None, "recognised": 0.0}]
    VariantFactory(shot=world.shot, label="rigid", metrics={"eval": {"mode": "truth_free", "bins": bins, "all": {
        **row, "identity_margin": 0.02, "identity_margin_plate": -0.44}}})
    client.force_login(world.users["producer"])
    scores = client.get(f"/shots/{world.shot.id}/").content.decode().split("Scores by head angle")[1]
    scores = scores.split("</table>")[0]
    assert "<th>Plate's margin</th>" in scores
    rows = {r.split("</td>")[1].removeprefix("<td>"): r for r in scores.split("<tr")[2:]}
    assert "-0.58" in rows["frontal"] and "below-plate" not in rows["frontal"]
    assert "-0.30" in rows["profile"] and 'class="below-plate"' in rows["profile"]
    assert "-0.44" in rows["all (no truth)"] and "below-plate" not in rows["all (no truth)"]
    # the share of swaps with a face found, which says why a bin has no identity figure
    assert "<td>88%</td>" in rows["frontal"] and "<td>25%</td>" in rows["profile"] and "<td>0%</td>" in rows["back"]
    assert rows["back"].count("—") >= 3 and "below-plate" not in rows["back"]


def test_the_shot_page_says_what_the_actors_material_is_missing_and_what_to_shoot(client, world):
    back = {"text": "frames 1141-1180: yaw 119°–313°: shoot the back of the head", "frames": [1141, 1180]}
    front = {"text": "frames 1001-1089: yaw -2°–6°: shoot the face from the front", "frames": [1001, 1089]}
    old = {"text": "frames 1001-1012: yaw 90°–100°: shoot the head in profile", "frames": [1001, 1012]}
    VariantFactory(shot=world.shot, label="rigid", version=1, metrics={"coverage": {"policy": "plate",
                                                                                    "missing": [old]}})
    VariantFactory(shot=world.shot, label="rigid", version=2, metrics={"coverage": {"policy": "plate",
                                                                                    "missing": [back, front]}})
    VariantFactory(shot=world.shot, label="loose", metrics={"coverage": {"policy": "plate", "missing": [back]}})
    client.force_login(world.users["artist"])
    html = client.get(f"/shots/{world.shot.id}/").content.decode()
    gaps = html.split("Missing from the actor's material")[1].split("</ul>")[0]
    lines = gaps.split("<li>")[1:]
    assert len(lines) == 2  # one line per gap, in frame order, the older version's gap no longer shown
    assert lines[0].startswith(front["text"]) and "left as the plate; rigid v002)" in lines[0]
    assert lines[1].startswith(back["text"]) and "rigid v002, loose v001" in lines[1]


def test_a_shot_whose_material_covers_every_frame_has_no_missing_section(client, world):
    VariantFactory(shot=world.shot, label="rigid", metrics={"coverage": {"policy": "plate", "missing": []}})
    VariantFactory(shot=world.shot, label="loose")
    client.force_login(world.users["artist"])
    assert "Missing from the actor's material" not in client.get(f"/shots/{world.shot.id}/").content.decode()


def test_shot_page_lists_versions_and_locked_ranges(client, world):
    from review.services.edits import decision_create, edit_create

    VariantFactory(shot=world.shot, label="rigid", version=1)
    newer = VariantFactory(shot=world.shot, label="rigid", version=2)
    edit = edit_create(shot=world.shot, actor=world.users["supervisor"],
                       segments=[{"variant": newer.id, "frame_start": 1001, "frame_end": 1012}])
    decision_create(edit=edit, actor=world.users["supervisor"], verdict="approve", frame_start=1001, frame_end=1004)
    client.force_login(world.users["producer"])
    html = client.get(f"/shots/{world.shot.id}/").content.decode()
    variants = html.split("<h2>Variants</h2>")[1].split("</table>")[0]
    assert variants.count("<td>v001</td>") == 1 and variants.count("<td>v002</td>") == 1
    assert "Frames 1001–1004 approved and locked on edit v1 by supervisor" in " ".join(html.split())


def test_the_status_menu_starts_on_no_change(client, world):
    """Clicking "Set status" without choosing must not move the shot (the first choice used to be Omitted)."""
    client.force_login(world.users["producer"])
    html = client.get(f"/shots/{world.shot.id}/").content.decode()
    menu = html.split('<select name="status" required>')[1].split("</select>")[0]
    assert menu.startswith('<option value="" selected disabled>Change status…</option>')
    before = world.shot.status
    client.post(f"/shots/{world.shot.id}/status", {"status": ""})
    world.shot.refresh_from_db()
    assert world.shot.status == before


def test_inbox_page_header_count_mark_read_and_email(client, world):
    from review.models import Notification, NotificationPreference
    from review.services.notes import note_create

    world.shot.assignees.add(world.users["artist"])
    for frame in (1002, 1003):
        note_create(shot=world.shot, actor=world.users["supervisor"], frame_start=frame, text=f"look at {frame}")
    client.force_login(world.users["artist"])
    html = client.get("/inbox/").content.decode()
    assert re.search(r'id="inbox-count" class="badge">2<', html) and 'data-ws="/ws/inbox/"' in html
    assert "look at 1002" in html and "look at 1003" in html and html.count('class="unread"') == 2
    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert [s.rsplit("/", 1)[-1] for s in scripts] == ["player.js"]  # the header's count runs in the one bundle
    first = Notification.objects.filter(user=world.users["artist"]).order_by("id").first()
    assert client.post("/inbox/read", {"notification": first.id}).status_code == 302
    html = client.get("/inbox/").content.decode()
    assert re.search(r'id="inbox-count" class="badge">1<', html) and html.count('class="unread"') == 1
    assert "look at 1002" not in client.get("/inbox/?unread=1").content.decode()
    client.post("/inbox/read")
    assert re.search(r'id="inbox-count" class="badge" hidden>0<', client.get("/inbox/").content.decode())
    client.post("/inbox/email", {"email": "1"})
    assert NotificationPreference.objects.get(user=world.users["artist"]).email
    assert "e-mail is on" in client.get("/inbox/").content.decode()
    client.force_login(world.users["supervisor"])  # another person's entry is not found, and stays unread there
    Notification.objects.filter(pk=first.pk).update(read_at=None)
    assert client.post("/inbox/read", {"notification": first.id}).status_code == 404
    assert Notification.objects.get(pk=first.pk).read_at is None
    assert "look at 1002" not in client.get("/inbox/").content.decode()
