# lvslite's BR2_EXTERNAL tree: its packages (python-lvslite, ipvsadm).
include $(sort $(wildcard $(BR2_EXTERNAL_LVSLITE_PATH)/package/*/*.mk))
