"""Tests for the Connect Call integration, its client and its simulator."""
