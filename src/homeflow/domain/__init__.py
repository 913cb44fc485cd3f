"""The rules of discharge: events, the spell fold, code lists and flow rules.

Nothing here touches a database, the web or the file system (code lists are read-only
package resources), so every rule can be tested and reused on its own.
"""
