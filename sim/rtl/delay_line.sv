// A WIDTH-bit shift register of DEPTH stages; DEPTH = 0 is a plain wire.
// The array's skew (inputs) and de-skew (outputs) buffers are triangles of
// these: row r delays by r cycles, column c by COLS - 1 - c cycles.
module delay_line #(
    parameter int WIDTH = 8,
    parameter int DEPTH = 1
) (
    /* verilator lint_off UNUSEDSIGNAL */
    input  logic             clk,  // unused when DEPTH = 0
    /* verilator lint_on UNUSEDSIGNAL */
    input  logic [WIDTH-1:0] d,
    output logic [WIDTH-1:0] q
);
  if (DEPTH == 0) begin : g_wire
    assign q = d;
  end else begin : g_regs
    logic [WIDTH-1:0] stage[DEPTH];
    always_ff @(posedge clk) begin
      stage[0] <= d;
      for (int i = 1; i < DEPTH; i++) stage[i] <= stage[i-1];
    end
    assign q = stage[DEPTH-1];
  end
endmodule
