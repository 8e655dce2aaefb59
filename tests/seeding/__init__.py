"""Tests of bot/seeding: reading content/ and loading it into the database."""
