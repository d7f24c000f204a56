using TorchSharp;
Console.WriteLine(Steer.Runtime.TorchRuntime.EnsureLoaded());
var a = torch.ones(1, 1600); var b = torch.ones(1600, 6400);
Console.WriteLine(torch.matmul(a, b).sum().item<float>());
