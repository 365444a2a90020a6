import CSDTensor
import ArgumentParser
import Logging
