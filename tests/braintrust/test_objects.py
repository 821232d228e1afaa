"""Experiment and Dataset objects, init arguments and summary types, as the official SDK has them.

Expected strings and field sets were observed from braintrust 0.48.1 in its
own virtualenv (tests/official_sdk.py): the str() of its summary objects,
the reason it gives when scores are not summarized, the fields of its
dataclasses. Each behaviour runs against the embedded store and against the
fake Braintrust service on 127.0.0.1.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

import braintrust
import braintrust.framework
import braintrust.logger
from braintrust import (
    Classification,
    DatasetSummary,
    DataSummary,
    ExperimentSummary,
    GitMetadataSettings,
    RepoInfo,
    ScoreSummary,
    SummarySkipped,
    SummarySuccess,
)
from braintrust_otel.merge import merge_row
from tests.fake_braintrust import FakeBraintrust


def _posted(service: FakeBraintrust, path: str) -> list[dict[str, Any]]:
    return [r["body"] for r in service.requests if r["path"] == path and r["method"] == "POST"]


# -- summary types -------------------------------------------------------------------

def test_summary_types_print_and_convert_as_the_official() -> None:
    data = DatasetSummary(project_name="p", dataset_name="d", project_url="pu",
                          dataset_url="du", data_summary=DataSummary(new_records=2,
                                                                     total_records=5))
    assert str(data) == ("\n=========================SUMMARY=========================\n"
                         "Total records: 5 (2 new or updated records)\n"
                         "See results for all datasets in p at pu\nSee results for d at du")
    assert data.as_dict() == {"project_name": "p", "dataset_name": "d", "project_url": "pu",
                              "dataset_url": "du",
                              "data_summary": {"new_records": 2, "total_records": 5}}
    assert SummarySkipped("r").as_dict() == {"reason": "r", "status": "skipped"}
    assert SummarySuccess({}, {}).status == "success"

    skipped = ExperimentSummary("p", "pid", "e", "eid", "pu", "eu",
                                skipped_reason="no base")
    assert str(skipped) == ("\n=========================SUMMARY=========================\n"
                            "Summary skipped: no base\n\nSee results for e at eu")
    assert skipped.comparison == SummarySkipped("no base")
    assert skipped.as_dict()["comparison"] == {"reason": "no base", "status": "skipped"}

    acc = ScoreSummary("acc", 0.5, longest_name=3)
    done = ExperimentSummary("p", "pid", "e", "eid", "pu", "eu",
                             comparison_experiment_name="base", scores={"acc": acc})
    assert str(done) == ("\n=========================SUMMARY=========================\n"
                         "e compared to base:\n50.00% 'acc' score\n\nSee results for e at eu")
    assert isinstance(done.comparison, SummarySuccess)
    assert done.comparison.scores == {"acc": acc}
    assert done.as_dict()["comparison"]["status"] == "success"
    assert done.as_dict()["comparison"]["scores"]["acc"]["score"] == 0.5


def test_small_types_have_the_official_fields() -> None:
    assert Classification(id="x").as_dict() == {"id": "x"}  # None fields left out
    assert Classification(id="x", label="X").as_dict() == {"id": "x", "label": "X"}
    assert GitMetadataSettings() == GitMetadataSettings(collect="all", fields=[])
    with pytest.raises(ValueError, match="collect"):
        GitMetadataSettings(collect="most")  # type: ignore[arg-type]
    assert RepoInfo().as_dict() == dict.fromkeys(
        ("commit", "branch", "tag", "dirty", "author_name", "author_email", "commit_message",
         "commit_time", "git_diff"))
    assert braintrust.ScoreDict.__required_keys__ == {"score"}
    assert braintrust.NamedScoreDict.__required_keys__ == {"score", "name"}
    for module, names in ((braintrust.logger, ("DataSummary", "DatasetSummary", "RepoInfo",
                                                "GitMetadataSettings", "SummarySkipped",
                                                "SummarySuccess")),
                          (braintrust.framework, ("Classification", "ScoreDict",
                                                  "NamedScoreDict", "SummarySuccess"))):
        for name in names:
            assert getattr(module, name) is getattr(braintrust, name)


# -- datasets ------------------------------------------------------------------------

def test_dataset_fetch_data_summary_and_open_by_id(where: FakeBraintrust | None) -> None:
    ds = braintrust.init_dataset("objs", "qa", "questions")
    a = ds.insert(input=1, expected=2)
    ds.insert(input=3, expected=4)
    ds.update(a, metadata={"checked": True})

    records = ds.fetch(batch_size=1)
    assert not isinstance(records, list) and iter(records) is records  # an iterator
    assert sorted(r["input"] for r in records) == [1, 3]
    assert sorted(r["expected"] for r in ds.fetched_data) == [2, 4]
    with pytest.raises(ValueError, match="batch_size"):
        ds.fetch(batch_size=0)

    assert ds.data["id"] == ds.id and ds.data["name"] == "qa"
    assert ds.project_id == ds.project.id  # record fields read as attributes
    with pytest.raises(AttributeError):
        ds.no_such_field  # noqa: B018
    assert ds.project.name == "objs" and ds.project["name"] == "objs"
    assert ds.project.id and ds.project.full_info["id"] == ds.project.id

    summary = ds.summarize()
    assert isinstance(summary, DatasetSummary)
    assert summary.data_summary == DataSummary(new_records=3, total_records=2)
    assert "Total records: 2 (3 new or updated records)" in str(summary)
    assert summary.dataset_url.endswith("/p/objs/datasets/qa")
    assert ds.summarize(summarize_data=False).data_summary is None

    again = braintrust.init_dataset(dataset_id=ds.id)
    assert (again.id, again.name, again.project.name) == (ds.id, "qa", "objs")
    assert again.summarize().data_summary == DataSummary(new_records=0, total_records=2)
    legacy = braintrust.init_dataset("objs", "qa", use_output=True)
    assert sorted(r["output"] for r in legacy.fetch()) == [2, 4]
    assert all("expected" not in r for r in legacy.fetch())
    with pytest.raises(ValueError, match="no dataset with id"):
        braintrust.init_dataset(dataset_id="00000000-0000-0000-0000-000000000000")
    # An environment is the hosted service's; accepted, the latest version is read.
    assert len(list(braintrust.init_dataset("objs", "qa", environment="prod"))) == 2


# -- experiments ---------------------------------------------------------------------

def test_init_takes_the_official_positions_and_records_what_it_is_given(
        where: FakeBraintrust | None) -> None:
    ds = braintrust.init_dataset("objs", "cases")
    ds.insert(input="q", expected="a")
    ds.flush()
    version = ds.version
    # project, experiment, description, dataset, parameters, open, base_experiment,
    # is_public, app_url, api_key, org_name, metadata, tags: the official order.
    exp = braintrust.init("objs", "run", "first run", ds, {"id": "params-1", "version": "7"},
                          False, None, True, None, None, None, {"model": "m"}, ["t"],
                          repo_info=RepoInfo(commit="abc", dirty=False))
    assert isinstance(exp, braintrust.Experiment)
    assert exp.project.name == "objs" and exp.project.id == exp.project["id"]
    data = exp.data
    assert data["id"] == exp.id and data["name"] == "run"
    expected = {"description": "first run", "dataset_id": ds.id, "dataset_version": version,
                "parameters_id": "params-1", "parameters_version": "7",
                "metadata": {"model": "m"}, "tags": ["t"],
                "repo_info": {"commit": "abc", "dirty": False}}
    assert {k: data.get(k) for k in expected} == expected
    # Other fields of the record read as attributes, as in the official SDK.
    assert exp.description == "first run" and exp.repo_info == {"commit": "abc", "dirty": False}
    with pytest.raises(AttributeError, match="no_such_field"):
        exp.no_such_field  # noqa: B018
    if where is not None:
        [body] = [b for b in _posted(where, "/v1/experiment") if b.get("name") == "run"]
        assert {k: body.get(k) for k in expected} == expected and body["public"] is True

    by_dict = braintrust.init("objs", "run2", dataset={"id": ds.id, "version": "5"})
    assert isinstance(by_dict, braintrust.Experiment)
    assert (by_dict.data["dataset_id"], by_dict.data["dataset_version"]) == (ds.id, "5")
    with pytest.raises(TypeError, match="dataset"):
        braintrust.init("objs", "bad", dataset=5)
    with pytest.raises(TypeError, match="repo_info"):
        braintrust.init("objs", "bad", repo_info={"commit": "x"})  # type: ignore[call-overload]


def test_summarize_without_scores_says_why_and_log_ignores_dataset_record_id(
        where: FakeBraintrust | None) -> None:
    exp = braintrust.init("objs", "plain")
    assert isinstance(exp, braintrust.Experiment)
    row_id = exp.log(input=1, output=2, scores={"s": 1}, dataset_record_id="rec-1")
    summary = exp.summarize(summarize_scores=False)
    # The official reason, word for word.
    assert summary.comparison == SummarySkipped("Score summarization was disabled")
    assert "Summary skipped: Score summarization was disabled" in str(summary)
    assert isinstance(exp.summarize().comparison, SummarySuccess)
    # Deprecated and unused in the official SDK: the row carries nothing of it.
    [row] = [r for r in exp if r["id"] == row_id]  # iterating reads the rows, as fetch()
    assert "rec-1" not in repr(row) and "origin" not in row


def test_framework_init_experiment_takes_the_older_names(
        where: FakeBraintrust | None, capsys: pytest.CaptureFixture[str]) -> None:
    braintrust.framework.init_experiment  # noqa: B018  (the name exists)
    exp = braintrust.framework.init_experiment(project_name="objs", experiment_name="old")
    assert (exp.name, exp.project.name) == ("old", "objs")
    assert braintrust.current_experiment() is None  # not current by default there
    assert "Experiment old is running at " in capsys.readouterr().err
    assert braintrust.init_experiment is braintrust.init


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True,
                          text=True).stdout.strip()


def test_git_metadata_recorded_as_the_settings_say(
        where: FakeBraintrust | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "trunk")
    _git(repo, "config", "user.name", "Ada")
    _git(repo, "config", "user.email", "ada@example.com")
    (repo / "f.txt").write_text("one\n")
    _git(repo, "add", "f.txt")
    _git(repo, "commit", "-q", "-m", "first commit")
    monkeypatch.chdir(repo)

    # No settings: nothing collected (the official SDK without organization settings).
    assert "repo_info" not in braintrust.init("objs", "g0").data
    full = braintrust.init("objs", "g1", git_metadata_settings=GitMetadataSettings()).data
    info = full["repo_info"]
    assert info["commit"] == _git(repo, "rev-parse", "HEAD")
    assert (info["branch"], info["dirty"], info["author_name"], info["author_email"],
            info["commit_message"]) == ("trunk", False, "Ada", "ada@example.com", "first commit")
    assert info["commit_time"] and "git_diff" not in info

    (repo / "f.txt").write_text("two\n")  # a dirty tree records its diff
    dirty = braintrust.init("objs", "g2", git_metadata_settings=GitMetadataSettings()).data
    assert dirty["repo_info"]["dirty"] is True and "+two" in dirty["repo_info"]["git_diff"]

    some = braintrust.init("objs", "g3", git_metadata_settings=GitMetadataSettings(
        collect="some", fields=["commit", "branch"])).data
    assert some["repo_info"] == {"commit": info["commit"], "branch": "trunk"}
    none = braintrust.init("objs", "g4", git_metadata_settings=GitMetadataSettings("none"))
    assert "repo_info" not in none.data
    given = braintrust.init("objs", "g5", git_metadata_settings=GitMetadataSettings(),
                            repo_info=RepoInfo(commit="given"))
    assert given.data["repo_info"] == {"commit": "given"}  # repo_info wins

    monkeypatch.chdir(tmp_path)  # not a repository: nothing, and no error
    assert "repo_info" not in braintrust.init(
        "objs", "g6", git_metadata_settings=GitMetadataSettings()).data
    if where is not None:
        bodies = {b["name"]: b for b in _posted(where, "/v1/experiment")}
        assert bodies["g1"]["repo_info"] == info and "repo_info" not in bodies["g0"]


def _logs(where: FakeBraintrust | None, request: pytest.FixtureRequest,
          project: str) -> list[dict[str, Any]]:
    """A project's log rows, one per span (the service's partial rows merged)."""
    if where is None:
        return list(request.getfixturevalue("store").rows(project))
    merged: dict[str, dict[str, Any]] = {}
    for body in where.logs3_bodies():
        for row in body["rows"]:
            merge_row(merged.setdefault(row["span_id"], {}), row)
    return list(merged.values())


def test_propagated_event_reaches_every_span_below(where: FakeBraintrust | None,
                                                   request: pytest.FixtureRequest) -> None:
    logger = braintrust.init_logger(project="objs-prop")
    with logger.start_span(name="root", propagated_event={"metadata": {"user": "u1"}},
                           event={"metadata": {"user": "ignored", "own": 1}}) as root:
        with root.start_span(name="child") as child, \
                braintrust.start_span(name="grandchild") as grandchild:
            pass
        with root.start_span(name="other", propagated_event={"metadata": {"team": "t"}}
                             ) as other, other.start_span(name="below") as below:
            pass
    with logger.start_span(name="next") as unrelated:
        pass
    braintrust.flush()
    rows = {r["span_id"]: r for r in _logs(where, request, "objs-prop")}
    meta = {name: (rows[s.span_id].get("metadata") or {})
            for name, s in (("root", root), ("child", child), ("grandchild", grandchild),
                            ("other", other), ("below", below), ("next", unrelated))}
    # The propagated fields win over the event's; the rest of the event stays.
    assert meta["root"] == {"user": "u1", "own": 1}
    assert meta["child"] == {"user": "u1"} and meta["grandchild"] == {"user": "u1"}
    # A child's own propagated_event replaces its parent's for its subtree.
    assert meta["other"] == {"team": "t"} and meta["below"] == {"team": "t"}
    assert meta["next"] == {}
    with pytest.raises(TypeError, match="propagated_event"):
        logger.start_span(propagated_event="x")  # type: ignore[arg-type]


def test_init_logger_environment_is_recorded_on_every_span(
        where: FakeBraintrust | None, request: pytest.FixtureRequest,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from braintrust import _state

    monkeypatch.setattr(_state, "span_environment", None)  # restored after the test
    ci = {"type": "ci", "name": "github_actions"}
    logger = braintrust.init_logger(project="objs-env", environment=ci)
    with logger.start_span(name="root") as root, root.start_span(name="child"):
        pass

    @braintrust.traced
    def work() -> int:
        return 1

    work()
    braintrust.init_logger(project="objs-env")  # each call replaces the setting
    with logger.start_span(name="after"):
        pass
    braintrust.flush()
    rows = {r["span_name"] if "span_name" in r else r["span_attributes"]["name"]: r
            for r in _logs(where, request, "objs-env")}
    for name in ("root", "child", "work"):
        assert rows[name]["context"]["span_origin"]["environment"] == ci, name
    assert rows["work"]["context"]["caller_functionname"]  # the caller is kept beside it
    assert "environment" not in (rows["after"].get("context") or {}).get("span_origin", {})
    with pytest.raises(TypeError, match="environment"):
        braintrust.init_logger(project="objs-env", environment="ci")  # type: ignore[arg-type]
