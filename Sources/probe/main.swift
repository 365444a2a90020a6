import CSDCLI
print("probe: not yet implemented")
