"""Projects defined in code: ``projects.create(name)``, publish, saving definitions.

``braintrust.projects.create(name)`` gives a :class:`Project`; its builders
(``tools``, ``prompts``, ``scorers``, ``classifiers``, ``parameters``;
:mod:`._builders`) record definitions (:mod:`._definitions`) on it.
``project.publish()`` (or ``braintrust push <file>``) saves the prompts,
parameters and (push only) code functions as function definitions: the body
the service's ``/insert-functions`` takes, or the embedded store's functions.
Code functions are also callable by :func:`braintrust.invoke` in the process
that made them, published or not.
"""

from __future__ import annotations

import sys
from typing import Any, Optional

from . import _state
from ._builders import (
    ClassifierBuilder,
    ParametersBuilder,
    PromptBuilder,
    ScorerBuilder,
    ToolBuilder,
)
from ._definitions import CodeFunction, CodeParameters, CodePrompt, collected
from ._logger import GLOBAL_PROJECT

__all__ = ["Project", "ProjectBuilder", "ProjectIds", "projects", "save_definitions"]


class Project:
    """A project, for defining tools, prompts, scorers and parameters in code.

    Args:
        name: The project's name.
        project_group_name: A project group to create the project in (service).
    """

    def __init__(self, name: str, project_group_name: Optional[str] = None) -> None:
        self.name = name
        self.project_group_name = project_group_name
        self.tools = ToolBuilder(self)
        self.prompts = PromptBuilder(self)
        self.parameters = ParametersBuilder(self)
        self.scorers = ScorerBuilder(self)
        self.classifiers = ClassifierBuilder(self)
        self._functions: list[CodeFunction] = []
        self._prompts: list[CodePrompt] = []
        self._parameters: list[CodeParameters] = []
        self._id: Optional[str] = None

    @property
    def id(self) -> str:
        """The project id (the project is registered when first needed)."""
        if self._id is None:
            self._id = _project_id(self.name, self.project_group_name)
        return self._id

    def lazy_init(self) -> Project:
        """Registers the project now (if not yet) rather than when first needed.

        Returns:
            This project.
        """
        _ = self.id
        return self

    def add_code_function(self, function: CodeFunction) -> None:
        """Adds a code function to what this project pushes (``create`` already does)."""
        if not isinstance(function, CodeFunction):
            raise TypeError("add_code_function(): pass a CodeFunction")
        self._functions.append(function)
        if (push := collected()) is not None:
            push.functions.append(function)

    def add_prompt(self, prompt: CodePrompt) -> None:
        """Adds a prompt to what :meth:`publish` saves (``prompts.create`` already
        does; adding it again sends it twice, as the official SDK does)."""
        if not isinstance(prompt, CodePrompt):
            raise TypeError("add_prompt(): pass a CodePrompt")
        self._prompts.append(prompt)
        if (push := collected()) is not None:
            push.prompts.append(prompt)

    def add_parameters(self, parameters: CodeParameters) -> None:
        """Adds parameters to what :meth:`publish` saves (``parameters.create``
        already does)."""
        if not isinstance(parameters, CodeParameters):
            raise TypeError("add_parameters(): pass a CodeParameters")
        self._parameters.append(parameters)
        if (push := collected()) is not None:
            push.parameters.append(parameters)

    def publish(self) -> Any:
        """Saves the prompts, LLM scorers and parameters defined on this project.

        Code functions are not saved by ``publish()`` (a warning says so): push
        their file with ``braintrust push``. Inside ``braintrust push`` this
        does nothing, since push saves everything.

        Returns:
            The service's answer to ``/insert-functions``; on the embedded
            store, ``{"functions": [saved...]}``.
        """
        if collected() is not None:
            print("publish() does nothing while `braintrust push` runs: push saves "
                  "everything", file=sys.stderr)
            return None
        _state.tracer()
        if self._functions:
            print("Code functions cannot be published with publish(); push their file with "
                  "`braintrust push`", file=sys.stderr)
        ids = ProjectIds()
        saved: list[CodePrompt | CodeParameters] = [*self._prompts, *self._parameters]
        return save_definitions([d.to_function_definition(None, ids) for d in saved])

    def __repr__(self) -> str:
        return f"<braintrust Project {self.name!r}>"


class ProjectIds:
    """Project ids by name, each registered once per publish or push."""

    def __init__(self) -> None:
        self._ids: dict[str, str] = {}

    def __call__(self, project: Project) -> str:
        if project.name not in self._ids:
            self._ids[project.name] = _project_id(project.name, project.project_group_name)
        return self._ids[project.name]


def _project_id(name: str, project_group_name: Optional[str] = None) -> str:
    return str(_state.backend().ensure_project(name=name, group=project_group_name)["id"])


def save_definitions(definitions: list[dict[str, Any]]) -> Any:
    """Saves function definitions (the ``/insert-functions`` body) to the backend.

    Args:
        definitions: Each with ``project_id``, ``slug``, ``name``,
            ``function_data`` and the rest as ``to_function_definition`` makes.

    Returns:
        The service's answer, or ``{"functions": [saved...]}`` from the
        embedded store.

    Raises:
        ValueError: When a slug exists and its ``if_exists`` is ``error``, or
            the service refuses the definitions.
    """
    return _state.backend().save_functions(definitions)


class ProjectBuilder:
    """``braintrust.projects``: ``projects.create(name)`` returns a :class:`Project`."""

    def create(self, name: str = GLOBAL_PROJECT,
               project_group_name: Optional[str] = None) -> Project:
        """Returns a handle to the project ``name`` (registered when first needed).

        Args:
            name: The project's name.
            project_group_name: A project group to create it in (service only).
        """
        if not isinstance(name, str) or not name:
            raise TypeError("projects.create(): name must be a non-empty str")
        return Project(name, project_group_name=project_group_name)


projects = ProjectBuilder()
