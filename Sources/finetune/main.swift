import CSDCLI
print("finetune: not yet implemented")
