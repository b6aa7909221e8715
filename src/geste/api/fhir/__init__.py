"""FHIR R4 at /fhir/R4/ (issue 14): read and search, IHE ITI scheduling ($find, $hold, $book),
a few writes, FR Core Patient with the INS. Entry-point layer: it reads every domain app and no
domain app imports it. Every resource it emits is validated by fhir.resources (R4B models).
"""
