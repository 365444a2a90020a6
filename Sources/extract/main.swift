import CSDCLI
print("extract: not yet implemented")
