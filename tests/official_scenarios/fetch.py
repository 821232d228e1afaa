"""Datasets and experiments read back (``_internal_btql`` limits, versions, iteration)."""
import json

import braintrust

ds = braintrust.init_dataset(project="sdk-fetch", name="rows")
for i in range(5):
    ds.insert(input=i, expected=i * 2, id=f"row-{i}")
ds.flush()
version = ds.version
ds.update(id="row-0", expected=100)
ds.flush()
everything = sorted(r["expected"] for r in braintrust.init_dataset(project="sdk-fetch",
                                                                    name="rows"))
limited = list(braintrust.init_dataset(project="sdk-fetch", name="rows",
                                       _internal_btql={"limit": 2}))
old = sorted(r["expected"] for r in braintrust.init_dataset(project="sdk-fetch", name="rows",
                                                             version=version))
exp = braintrust.init(project="sdk-fetch", experiment="e")
exp.log(input=1, output=2, scores={"s": 1})
exp.flush()
reopened = braintrust.init(project="sdk-fetch", experiment="e", open=True)
exp_rows = [[r["input"], r["output"], r["scores"]] for r in reopened.fetch()]
summary = braintrust.init_dataset(project="sdk-fetch", name="rows").summarize()
me = braintrust.logger.user_info()
print("RESULT " + json.dumps({"total": summary.data_summary.total_records,
                              "dataset_name": summary.dataset_name, "user": me["email"],
                              "all": everything, "limited": len(limited), "old": old,
                              "exp_rows": exp_rows, "version_is_digits": version.isdigit()}))
