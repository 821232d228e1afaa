"""Where the code runs, for ``context.span_origin.environment``: pure, over a mapping
of environment variables, with the same answers as the official SDK 0.48.

Order: ``BRAINTRUST_ENVIRONMENT_TYPE`` / ``_NAME``; a CI system; a hosting
platform; ``PYTHON_ENV``; else None (nothing recorded).
"""

from __future__ import annotations

from collections.abc import Mapping

from braintrust_otel import settings

__all__ = ["current_environment", "detect_environment"]

#: Variables a CI system sets, and its name (first match wins).
_CI = (("GITHUB_ACTIONS", "github_actions"), ("GITLAB_CI", "gitlab_ci"),
       ("CIRCLECI", "circleci"), ("BUILDKITE", "buildkite"), ("JENKINS_URL", "jenkins"),
       ("JENKINS_HOME", "jenkins"), ("TF_BUILD", "azure_pipelines"),
       ("TEAMCITY_VERSION", "teamcity"), ("TRAVIS", "travis"),
       ("BITBUCKET_BUILD_NUMBER", "bitbucket"))
#: Hosting platforms checked after Vercel/Netlify and AWS.
_SERVERS = (("K_SERVICE", "cloud_run"), ("FUNCTION_TARGET", "gcp_functions"),
            ("KUBERNETES_SERVICE_HOST", "kubernetes"), ("DYNO", "heroku"),
            ("FLY_APP_NAME", "fly"), ("RAILWAY_ENVIRONMENT", "railway"),
            ("RENDER_SERVICE_NAME", "render"))


#: The variables of other software that the detection looks at.
_MARKERS = (*(var for var, _ in _CI), "CI", "VERCEL", "NETLIFY", "ECS_CONTAINER_METADATA_URI",
            "ECS_CONTAINER_METADATA_URI_V4", "AWS_EXECUTION_ENV", "AWS_LAMBDA_FUNCTION_NAME",
            *(var for var, _ in _SERVERS), "PYTHON_ENV")


def current_environment() -> dict[str, str] | None:
    """The environment of this process (see :func:`detect_environment`), from
    ``BRAINTRUST_ENVIRONMENT_TYPE``/``_NAME`` and the variables CI systems and
    hosting platforms set."""
    env = settings.platform_markers(_MARKERS)
    for var in (settings.ENVIRONMENT_TYPE, settings.ENVIRONMENT_NAME):
        value = var.get()
        if value:
            env[var.name] = value
    return detect_environment(env)


def detect_environment(env: Mapping[str, str]) -> dict[str, str] | None:
    """The environment ``{"type": ..., "name": ...}`` the variables in ``env`` show.

    Args:
        env: Environment variables (``os.environ``).

    Returns:
        The environment, or None when nothing shows one.
    """
    kind, name = env.get("BRAINTRUST_ENVIRONMENT_TYPE"), env.get("BRAINTRUST_ENVIRONMENT_NAME")
    if kind or name:
        return {**({"type": kind} if kind else {}), **({"name": name} if name else {})}
    for var, ci in _CI:
        if env.get(var):
            return {"type": "ci", "name": ci}
    if env.get("CI"):
        return {"type": "ci", "name": "ci"}
    for var, server in (("VERCEL", "vercel"), ("NETLIFY", "netlify")):
        if env.get(var):
            return {"type": "server", "name": server}
    aws = env.get("AWS_EXECUTION_ENV") or ""
    if env.get("ECS_CONTAINER_METADATA_URI") or env.get("ECS_CONTAINER_METADATA_URI_V4") \
            or aws.startswith("AWS_ECS_"):
        return {"type": "server", "name": "ecs"}
    if aws.startswith("AWS_Lambda_") or env.get("AWS_LAMBDA_FUNCTION_NAME"):
        return {"type": "server", "name": "aws_lambda"}
    for var, server in _SERVERS:
        if env.get(var):
            return {"type": "server", "name": server}
    mode = env.get("PYTHON_ENV")
    if not mode:
        return None
    lowered = mode.lower()
    if lowered in ("production", "staging"):
        return {"type": "server", "name": lowered}
    if lowered in ("development", "local"):
        return {"type": "local", "name": lowered}
    return {"name": mode}
