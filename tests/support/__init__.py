"""Shared test harness: run Ansible the way a user does, start the local CLB emulator."""
