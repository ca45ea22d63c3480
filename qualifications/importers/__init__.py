"""Importers that turn an awarding body's specification (text converted from PDF) into fixtures.

Each format has a parser module with `parse(document: SourceDocument) -> Specification`.
`base.py` reads the file and applies the reviewed corrections; `fixture.py` turns the parsed
specification into a Django fixture with natural keys.
"""
