"""projects.create(...).prompts.create(...) then publish(); the prompt loads back."""
import json

import braintrust

project = braintrust.projects.create(name="sdk-publish")
project.prompts.create(name="Greeter", slug="greeter", description="says hi",
                       model="gpt-4o-mini",
                       messages=[{"role": "user", "content": "hi {{name}}"}],
                       if_exists="replace")
project.publish()
prompt = braintrust.load_prompt(project="sdk-publish", slug="greeter")
print("RESULT " + json.dumps({"messages": prompt.build(name="Ann")["messages"],
                              "model": prompt.build(name="Ann")["model"],
                              "description": prompt.description}))
