using MlNetDeep.Models;

return await ModelsCommand.RunAsync(args, Console.Out, Console.Error);
