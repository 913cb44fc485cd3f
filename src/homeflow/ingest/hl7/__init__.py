"""HL7 v2: a lean parser, MLLP framing, ADT mapping to events, and a writer for the demo."""
