################################################################################
#
# ipvsadm
#
################################################################################

IPVSADM_VERSION = 1.30
IPVSADM_SOURCE = ipvsadm-$(IPVSADM_VERSION).tar.xz
IPVSADM_SITE = $(BR2_KERNEL_MIRROR)/linux/utils/kernel/ipvsadm
IPVSADM_LICENSE = GPL-2.0+
IPVSADM_DEPENDENCIES = libnl popt host-pkgconf

# ipvsadm's Makefiles find libnl with pkg-config; Buildroot's compiler wrapper adds the
# -march flags, so only CC and the popt link flag are passed.
define IPVSADM_BUILD_CMDS
	$(TARGET_MAKE_ENV) $(MAKE1) -C $(@D) CC="$(TARGET_CC)" POPT_LIB="-lpopt"
endef

define IPVSADM_INSTALL_TARGET_CMDS
	$(INSTALL) -D -m 0755 $(@D)/ipvsadm $(TARGET_DIR)/usr/sbin/ipvsadm
	$(INSTALL) -D -m 0755 $(@D)/ipvsadm-save $(TARGET_DIR)/usr/sbin/ipvsadm-save
	$(INSTALL) -D -m 0755 $(@D)/ipvsadm-restore $(TARGET_DIR)/usr/sbin/ipvsadm-restore
endef

$(eval $(generic-package))
