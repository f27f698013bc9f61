var app = WebApplication.CreateBuilder(args).Build();
app.MapGet("/", () => "api ok");
app.Run();
