"""A prompt saved twice: its versions listed, each version loaded back."""
import json

import braintrust
from braintrust.logger import get_prompt_versions

project = braintrust.projects.create(name="sdk-versions")
for text in ("one {{x}}", "two {{x}}"):
    project.prompts.create(name="V", slug="v", model="gpt-4o-mini",
                           messages=[{"role": "user", "content": text}], if_exists="replace")
    project.publish()
latest = braintrust.load_prompt(project="sdk-versions", slug="v")
versions = get_prompt_versions(latest.project_id, latest.id)
texts = [braintrust.load_prompt(project="sdk-versions", slug="v", version=v)
         .build(x=1)["messages"][0]["content"] for v in versions]
print("RESULT " + json.dumps({"count": len(versions), "texts": texts,
                              "latest": latest.build(x=1)["messages"][0]["content"],
                              "by_raw_version": braintrust.load_prompt(
                                  project="sdk-versions", slug="v", version=latest.version
                              ).build(x=1)["messages"][0]["content"]}))
