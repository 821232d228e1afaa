"""An attachment logged in a dataset row, then read back through the row."""
import json

import braintrust
from braintrust import Attachment, ReadonlyAttachment

ds = braintrust.init_dataset(project="sdk-attach", name="files")
ds.insert(input={"file": Attachment(data=b"hello bytes", filename="h.txt",
                                    content_type="text/plain")}, expected=1)
ds.flush()
row = next(iter(braintrust.init_dataset(project="sdk-attach", name="files")))
read = row["input"]["file"]
assert isinstance(read, ReadonlyAttachment), type(read)
ref = read.reference
print("RESULT " + json.dumps({"data": read.data.decode(), "type": ref["type"],
                              "filename": ref["filename"],
                              "status": read.status()["upload_status"]}))
