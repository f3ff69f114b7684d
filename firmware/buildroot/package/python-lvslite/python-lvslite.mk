################################################################################
#
# python-lvslite
#
################################################################################

# The repository this external tree lives in (firmware/buildroot/../..).
PYTHON_LVSLITE_SITE = $(realpath $(BR2_EXTERNAL_LVSLITE_PATH)/../..)
PYTHON_LVSLITE_SITE_METHOD = local
PYTHON_LVSLITE_VERSION = $(shell sed -n 's/^version = "\(.*\)"/\1/p' \
	$(PYTHON_LVSLITE_SITE)/pyproject.toml)
PYTHON_LVSLITE_SETUP_TYPE = setuptools
# Only the agent goes to the box: the workstation parts (bench/, firmware/), tests,
# caches and build outputs (the Buildroot output itself may be under out/) stay out.
PYTHON_LVSLITE_OVERRIDE_SRCDIR_RSYNC_EXCLUSIONS = \
	--exclude=/.venv --exclude=/.cache --exclude=/out --exclude=/build \
	--exclude=/tests --exclude=/bench --exclude=/firmware --exclude=/overlay \
	--exclude=/.ci --exclude='*.egg-info' --exclude=__pycache__

$(eval $(python-package))
