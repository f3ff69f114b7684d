"""Fixtures for the health-check tests: loopback servers in a child process."""
import pytest

from checks_util import Servers, make_cert


@pytest.fixture(scope="session")
def cert(tmp_path_factory):
    return make_cert(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="session")
def servers(cert):
    s = Servers(cert)
    yield s.ports
    s.stop()
