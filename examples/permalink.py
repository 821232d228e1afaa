"""span.export(), continuing a trace elsewhere with parent=, and permalink()."""

import braintrust

logger = braintrust.init_logger(project="examples")

with logger.start_span(name="frontend") as span:
    slug = span.export()  # send this string to another service or process

# In the other process: continue the same trace under that span.
with braintrust.start_span(name="backend", parent=slug) as child:
    child.log(input="handled downstream")

braintrust.flush()
print("export slug:", slug)
print("permalink:", braintrust.permalink(slug))
print("same trace:", child.root_span_id == span.root_span_id)
