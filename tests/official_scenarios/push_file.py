"""What `braintrust push push_file.py` loads: one prompt in a project."""
import braintrust

project = braintrust.projects.create(name="sdk-push")
project.prompts.create(name="Summarize", slug="summarize", model="gpt-4o-mini",
                       messages=[{"role": "system", "content": "be brief"},
                                 {"role": "user", "content": "{{text}}"}])
