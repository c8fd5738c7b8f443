global using Microsoft.ML.Data;
global using MlNetDeep.Networks;
