"""The console in a real headless Chromium on the local runtime of the real app: an execution seen going from
RUNNING to SUCCEEDED without a reload, a failed DAG with its failing task marked (not a sibling), a running
workflow paused and resumed, a waiting ticket approved, the quarantine's reason for a malformed event; and not one
request for anywhere but this machine. Each page is kept as a screenshot (test-artifacts/console/)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from asl.graph import COLOURS, FAILED
from orchestrator.control import ControlPlane
from orchestrator.local.cloud import LocalCloud
from schemas.dags import CustomerSignedUp
from schemas.support import TicketSubmitted
from tests.builders import ticket
from tests.conftest import WHOLE_APP
from tests.console.conftest import Browser, screenshot
from tests.workflows.conftest import ended

pytestmark = WHOLE_APP

ONBOARDING = "DagCustomerOnboarding"  # the shipped DAG's state machine (logical id prefix)
PIPELINE = "AgentPipeline"


def waiting_ticket(cloud: LocalCloud, ticket_id: str) -> str:
    """Submits a ticket; once the cloud is still, its pipeline waits for the approval (keyed by the ticket id)."""
    cloud.put_event(TicketSubmitted.model_validate(ticket(ticket_id)), correlation_id=ticket_id)
    cloud.wait_until_quiet()
    arn = cloud.physical_id("AWS::StepFunctions::StateMachine", PIPELINE)
    (execution,) = [e for e in cloud.executions(arn) if ticket_id in e["input"]]
    assert execution["status"] == "RUNNING"
    return str(execution["executionArn"])


def execution_page(browser: Browser, arn: str) -> Any:
    page = browser.open(f"/execution?arn={quote(arn, safe='')}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Execution")
    return page


def status_of(page: Any) -> Any:
    """The execution's status cell on its page."""
    summary = page.get_by_role("table", name="Execution", exact=True)
    return summary.locator("tr", has=page.get_by_role("rowheader", name="Status")).locator("td")


def test_an_execution_is_seen_going_from_running_to_succeeded_without_a_reload(
    cloud: LocalCloud, browser: Browser
) -> None:
    arn = waiting_ticket(cloud, "T-web-live")
    page = browser.open("/executions?correlation_id=T-web-live")
    row = page.locator("tbody tr", has=page.get_by_role("link", name="T-web-live"))
    expect(row.locator(".status")).to_have_text("RUNNING")
    page.evaluate("window.sameDocument = true")  # gone if the page were loaded again

    # Decided elsewhere (another operator's `orch signal`): the page only watches.
    ControlPlane.connect().signal_approval("T-web-live", approved=True, decided_by="lead@example.com")
    cloud.wait_until_quiet()

    expect(row.locator(".status")).to_have_text("SUCCEEDED")
    assert page.evaluate("window.sameDocument") is True, "the page updated in place, it was not reloaded"
    assert arn.rsplit(":", 1)[-1] in row.inner_text()
    screenshot(page, "executions")


def test_a_failed_dag_execution_marks_the_task_that_failed_and_not_its_siblings(
    cloud: LocalCloud, browser: Browser
) -> None:
    # The welcome agent refuses this address: send_welcome fails after the workspace and the account were made.
    signed_up = CustomerSignedUp(
        customer_id="C-web-1", name="Ada", country="DE", email="fail-welcome@example.com", plan="personal"
    )
    cloud.put_event(signed_up, correlation_id="C-web-1")
    (execution,) = ended(cloud, ONBOARDING, lambda e: "C-web-1" in e["input"])
    assert execution["status"] == "FAILED"

    page = execution_page(browser, execution["executionArn"])
    expect(status_of(page)).to_have_text("FAILED")
    outcomes = page.get_by_role("table", name="What each task did")
    outcome = {
        task: outcomes.locator("tr", has=page.get_by_role("cell", name=task, exact=True)).locator(".status")
        for task in ("send_welcome", "provision_workspace", "open_account", "credit_limit")
    }
    expect(outcome["send_welcome"]).to_have_text("failed")
    expect(outcome["provision_workspace"]).to_have_text("succeeded")
    expect(outcome["open_account"]).to_have_text("succeeded")
    expect(outcome["credit_limit"]).to_have_text("not reached")  # a personal plan: skipped
    # The picture marks the same one task, in the failure's colour.
    failed = page.locator("figure.graph svg g.state.failed")
    expect(failed).to_have_count(1)
    expect(failed.locator("title")).to_have_text("send_welcome (Task): failed")
    assert failed.locator("rect").get_attribute("fill") == COLOURS[FAILED][0]
    screenshot(page, "execution-dag-failed")


def test_a_running_workflow_is_paused_and_resumed(cloud: LocalCloud, browser: Browser) -> None:
    arn = waiting_ticket(cloud, "T-web-pause")
    page = execution_page(browser, arn)

    page.get_by_label("Reason", exact=True).first.fill("checking the refund policy")
    page.get_by_role("button", name="Pause").click()

    expect(page.get_by_role("status")).to_have_text("paused: it holds at its next pause point")
    paused = page.locator("tr", has=page.get_by_role("rowheader", name="Paused")).locator("td")
    expect(paused).to_contain_text("holds at its next pause point")
    expect(paused).to_contain_text("checking the refund policy")
    plane = ControlPlane.connect()
    held = plane.describe(arn).pause
    assert held is not None and held.paused_by == plane.caller_arn(), "paused by the console's own identity"
    screenshot(page, "execution-paused")

    page.get_by_role("button", name="Resume").click()

    expect(page.get_by_role("status")).to_have_text("resumed")
    expect(page.get_by_role("button", name="Pause")).to_be_visible()
    assert plane.describe(arn).pause is None


def test_a_waiting_ticket_is_approved(cloud: LocalCloud, browser: Browser) -> None:
    arn = waiting_ticket(cloud, "T-web-approve")
    page = execution_page(browser, arn)
    expect(page.get_by_role("row", name="Message ApprovalDecided keyed T-web-approve")).to_be_visible()
    screenshot(page, "execution-waiting")

    page.get_by_label("Comment").fill("refund agreed")
    page.get_by_role("button", name="Approve").click()

    expect(page.get_by_role("status")).to_have_text("approved T-web-approve; resumes 1 execution(s)")
    cloud.wait_until_quiet()
    expect(status_of(page)).to_have_text("SUCCEEDED")  # the page, still open, caught up by itself
    decided = ControlPlane.connect().process_history("T-web-approve").state.facts
    assert decided["decision"] == "approved" and decided["comment"] == "refund agreed"
    assert decided["decided_by"] == ControlPlane.connect().caller_arn()


def test_terminating_asks_first_and_an_invalid_start_says_what_the_cli_says(
    cloud: LocalCloud, browser: Browser
) -> None:
    arn = waiting_ticket(cloud, "T-web-stop")
    page = execution_page(browser, arn)
    page.get_by_label("Reason", exact=True).last.fill("opened by mistake")
    page.get_by_role("button", name="Terminate").click()

    expect(page.get_by_role("status")).to_have_text("Terminate this execution? It stops where it is.")
    assert ControlPlane.connect().describe(arn).execution.status == "RUNNING", "nothing done before the answer"
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_role("status")).to_have_text("terminated: ABORTED")
    expect(status_of(page)).to_have_text("ABORTED")

    start = browser.open("/")
    start.get_by_label("Input (JSON)").fill('{"ticket_id": ')
    start.get_by_role("button", name="Start").click()
    expect(start.get_by_role("alert")).to_contain_text("invalid input (input): input is ")
    expect(start.get_by_role("link", name="Back")).to_be_visible()


def test_the_quarantine_shows_why_a_malformed_event_was_set_aside(cloud: LocalCloud, browser: Browser) -> None:
    # A web form puts a ticket straight on the bus, under its own source and without the envelope.
    cloud.put_raw_event("support.web", "TicketSubmitted", {"ticket_id": "T-web-bad", "subject": "Where is my order?"})
    cloud.wait_until_quiet()

    page = browser.open("/queues")
    quarantine = page.get_by_role("region", name="Quarantine (invalid events)", exact=False)
    expect(quarantine).to_contain_text("1 message.")
    row = quarantine.locator("tbody tr")
    expect(row).to_have_count(1)
    reason = row.locator("td").first
    # The schema guard's reason, field by field: the first is the source no producer of that type has.
    expect(reason).to_contain_text("source: detail-type 'TicketSubmitted' comes from source 'support.tickets'")
    expect(row.locator("td").nth(1)).to_have_text("TicketSubmitted")
    row.get_by_text("Body").click()  # the event as it came, under its summary
    expect(row.locator("pre")).to_contain_text("T-web-bad")
    screenshot(page, "queues")


def test_the_other_pages_render_and_no_request_left_this_machine(cloud: LocalCloud, browser: Browser) -> None:
    for path, heading, name in (
        ("/", "Workflows", "workflows"),
        ("/process?correlation_id=T-web-approve", "Business process T-web-approve", "process"),
        ("/breakers", "Circuit breakers", "breakers"),
    ):
        page = browser.open(path)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        screenshot(page, name)
    workflows = browser.open("/")
    expect(workflows.get_by_role("row", name="customer-onboarding")).to_contain_text("1")
    workflows.keyboard.press("Tab")  # the first stop: past the navigation, to the content
    expect(workflows.locator(":focus")).to_have_text("Skip to the content")

    assert browser.requests.urls, "the recorder saw the requests"
    assert browser.requests.refused == [], f"requests for elsewhere: {browser.requests.refused}"
    assert {url.split("/")[2] for url in browser.requests.urls} == {browser.base.split("/")[2]}


@pytest.fixture(autouse=True)
def _close_pages(browser: Browser) -> Any:
    """Each test's pages closed after it: their live regions stop polling."""
    yield
    for page in browser.context.pages:
        page.close()
