"""toolkit: run a city's cloud-service introduction program from one master Excel workbook."""

__version__ = "0.1.0"
