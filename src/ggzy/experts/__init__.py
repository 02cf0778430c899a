"""The expert library, the verifiable draw of evaluation committees, and evaluation."""
