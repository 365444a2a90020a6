import CSDTensor
