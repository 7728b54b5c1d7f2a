"""The opskit dashboard (``opskit tui``): a Textual app over the opskit library.

``tui.app.OpskitApp`` is the app; ``tui.library.LibrarySource`` connects it to opskit.
Nothing here talks to AWS directly (import-linter forbids boto3 in this package).
"""
