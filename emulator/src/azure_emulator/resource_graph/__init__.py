"""Azure Resource Graph: POST /providers/Microsoft.ResourceGraph/resources over an index of the emulator's
resources that lags the resource providers (``index.py``), queried with a subset of KQL (``kql/``)."""
