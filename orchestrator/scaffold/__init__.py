"""`orch new`: the files of an extension (infra/extensions.py) written from templates, each with a passing test.

    new_event(root, "ReportRequested", source="reports.app")      schemas/report_requested.py, its registry document
    new_agent(root, "report-builder")                             functions/report_builder/ (+ agent.yaml)
    new_workflow(root, "report-build", dag=True, ...)             state_machines/report_build.dag.yaml
    new_workflow(root, "nightly", schedule="rate(1 day)")         state_machines/nightly.asl.json + .workflow.yaml

Each returns the files it wrote, relative to `root`; none overwrites a file (`ScaffoldError` names it). The templates
are the files of `templates/`, with `{{name}}` fields.
"""

from orchestrator.scaffold._writing import ScaffoldError, new_agent, new_event, new_workflow

__all__ = ["ScaffoldError", "new_agent", "new_event", "new_workflow"]
