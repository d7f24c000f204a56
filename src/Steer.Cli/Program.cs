using TorchSharp;
Console.WriteLine(Steer.Runtime.TorchRuntime.EnsureLoaded());
var t = torch.zeros(2, 3);
var span = t.bytes;
span[0] = 0; span[1]=0; span[2]=0x80; span[3]=0x3f;
Console.WriteLine(t[0,0].item<float>());
Console.WriteLine(torch.get_num_threads());
var s = t.narrow(0,1,1);
var sp = s.bytes; Console.WriteLine(sp.Length);
