import CSDTensor
import CSDCLI
print(BLAS.configuration)
