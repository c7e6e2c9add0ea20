#! /bin/bash 
# BERT-large on SN30 (simulated node edition of the 2024 course's script, same flow):
# with no argument it compiles (unless the PEF exists), then submits BertLarge_run.sh with
# sbatch itself; $1 only names the log folder. Everything goes into ${LOGDIR}/BertLarge.out,
# nothing to the terminal but the "Using ... for output" line. accelsim stands in for the RDUs.
set -e 
SIM_ROOT=${ENVDOCTOR_SIM_ROOT:-}
export SOFTWARE_HOME=${SIM_ROOT}/opt
LOGDIR=`date +%m%d%y.%H`
if [ "$1" ] ; then
LOGDIR=$1
fi
MODEL_NAME="BertLarge"
OUTPUT_PATH=${PWD}/${LOGDIR}/${MODEL_NAME}.out
echo "Using ${OUTPUT_PATH} for output"
mkdir -p ${PWD}/${LOGDIR}

ACTIVATE=${SIM_ROOT}/opt/sambaflow/apps/nlp/transformers_on_rdu/venv/bin/activate
export OMP_NUM_THREADS=18
# Start script timer
SECONDS=0
OUTDIR=${HOME}/${MODEL_NAME}

if [ -f ${ACTIVATE} ] ; then source ${ACTIVATE}; fi
PROJ_DIR=${PWD}

cd ${HOME}
echo "Model: " ${MODEL_NAME} > ${OUTPUT_PATH} 2>&1
echo "Date: " $(date +%m/%d/%y) >> ${OUTPUT_PATH} 2>&1
echo "Time: " $(date +%H:%M) >> ${OUTPUT_PATH} 2>&1
python -c "import sambaflow; print('sambaflow/now', sambaflow.__version__, 'amd64 [installed,local]')" >> ${OUTPUT_PATH} 2>&1 || true
if [ ! -d ${OUTDIR} ] ; then
  mkdir ${OUTDIR}
fi
cd ${OUTDIR}
if [ -e ${OUTDIR}/bertlrg/bertlrg.pef ] ; then
 echo "${OUTDIR}/bertlrg/bertlrg.pef exists"
fi
if [ ! -e ${OUTDIR}/bertlrg/bertlrg.pef ] ; then
  export SN_NUM_THREADS=32
  echo "COMPILE START AT ${SECONDS}" >> ${OUTPUT_PATH} 2>&1
COMMAND="python -m accelsim sambanova compile --model_name_or_path bert-large-uncased --max_seq_length 128 -b 256 --data-parallel -ws 2 --num-tiles 4 --pef-name=bertlrg --output-folder=${OUTDIR}"
  echo "COMPILE COMMAND: $COMMAND" >> ${OUTPUT_PATH} 2>&1
  eval $COMMAND >> ${OUTPUT_PATH} 2>&1
  echo "COMPILE END AT ${SECONDS}" >> ${OUTPUT_PATH} 2>&1
fi
echo "RUN" >> ${OUTPUT_PATH} 2>&1
SBATCH=sbatch
if [ -x "${SIM_ROOT}/opt/slurm/bin/sbatch" ] ; then SBATCH=${SIM_ROOT}/opt/slurm/bin/sbatch; fi
${SBATCH} --output=${HOME}/slurm-%A.out --ntasks 16 --gres=rdu:8 --ntasks-per-node 16  --nodes 1 --cpus-per-task=8  ${PROJ_DIR}/BertLarge_run.sh $1 >> ${OUTPUT_PATH} 2>&1

echo "Duration: " $SECONDS >> ${OUTPUT_PATH} 2>&1
