"""The workstation sizing bench: models a Soekris-class director against a workload."""
